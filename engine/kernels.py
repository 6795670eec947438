"""Compiled kernels: one function per piece of MATH.md, and the fused training loop built from them.

Private: they trust their input (shapes, dtypes, codes); the public classes validate first.
Layouts: weights W (n_out, n_in) C-contiguous, activations (n, m) with samples as columns.
The input batch is gathered as columns XT (d, m), like every layer's activations, so the kernels
meet one layout per argument and each is compiled once.
"""

import math

import numpy as np
from numba import njit, prange, types

# Imported first: it binds the BLAS symbols below to a library that runs single-threaded when it can.
from . import threads  # noqa: F401

# No 'nnan'/'ninf': the kernels must see NaN and infinity to stop a diverging run.
FASTMATH = {"reassoc", "contract", "nsz", "arcp"}
# error_model="numpy": a division by zero gives inf/NaN (caught as divergence) instead of a
# per-division check that would stop the loops from vectorising.
JIT = dict(nogil=True, cache=True, fastmath=FASTMATH, error_model="numpy")
# For the functions that decide whether a value is finite: under 'reassoc' the compiler may fold
# a sum with an infinite term into a finite one, so these have no fastmath at all.
JIT_EXACT = dict(nogil=True, cache=True, error_model="numpy")
# For the loops that split large work into blocks, one per core (see engine.threads). The kernels
# that may split are inlined where they are called and only call a parallel loop when the work is
# large, so a small network's step pays nothing for them.
PARALLEL_JIT = dict(JIT, parallel=True)

# Activation codes (engine.names.ACTIVATION_CODES).
LINEAR, RELU, LEAKY_RELU, ELU, GELU, SWISH, SIGMOID, TANH, SIN, SOFTMAX = range(10)
MSE, BCE, CCE = range(3)
SGD, MOMENTUM, RMSPROP, ADAM = range(4)

LEAKY_SLOPE = 0.01
GELU_C = math.sqrt(2.0 / math.pi)
GELU_K = 0.044715

# Below this many multiply-adds a plain loop beats a BLAS call's overhead.
BLAS_MIN_MACS = 32768
# Below this many multiply-adds (or parameters to update, or values to copy) a product or pass is
# not worth splitting over cores: waking the other threads costs more than it saves.
PARALLEL_MIN_MACS = 1 << 22
PARALLEL_MIN_VALUES = 1 << 16
# Rows per block at least, so each block's product stays efficient.
MIN_ROWS_PER_PART = 32


@njit(inline="always", **JIT)
def blocks(parts, rows, work, min_work):
    """How many blocks to split `rows` rows of `work` units into: 1 unless both are large."""
    if parts < 2 or work < min_work:
        return 1
    return max(1, min(parts, rows // MIN_ROWS_PER_PART))


@njit(inline="always", **JIT)
def block(rows, n_blocks, p):
    """Rows [lo, hi) of block p of n_blocks."""
    return rows * p // n_blocks, rows * (p + 1) // n_blocks



# ----- matrix products through the BLAS engine.blas binds (Fortran interface, column-major) ------
_PTR = types.intp
_sgemm = types.ExternalFunction("backprop_sgemm", types.void(*(_PTR,) * 13))
_dgemm = types.ExternalFunction("backprop_dgemm", types.void(*(_PTR,) * 13))
_NO_TRANSPOSE, _TRANSPOSE = ord("N"), ord("T")


@njit(inline="always", **JIT)
def _blas_operand(X):
    """(transposed, leading dimension) of X read as a row-major matrix: rows contiguous (False) or
    columns contiguous, as a transposed view is (True). Leading dimension 0: neither, copy first."""
    rows, cols = X.shape
    size = X.itemsize
    s0, s1 = X.strides
    if (cols == 1 or s1 == size) and (rows == 1 or s0 >= cols * size) and s0 % size == 0:
        return False, s0 // size if rows > 1 else max(cols, 1)
    if (rows == 1 or s0 == size) and (cols == 1 or s1 >= rows * size) and s1 % size == 0:
        return True, s1 // size if cols > 1 else max(rows, 1)
    return False, 0


@njit(**JIT)
def matmul(A, B, C):
    """C = A · B through the BLAS that engine.blas bound (float32 or float64, all three alike).
    A and B may be row blocks or transposed views of larger arrays (others are copied first); C
    may be a block of a larger array whose rows are contiguous."""
    m, k = A.shape
    n = B.shape[1]
    if m == 0 or n == 0:
        return
    if k == 0:
        C[:] = 0
        return
    a_transposed, lda = _blas_operand(A)
    if lda == 0:
        A = np.ascontiguousarray(A)
        a_transposed, lda = False, k
    b_transposed, ldb = _blas_operand(B)
    if ldb == 0:
        B = np.ascontiguousarray(B)
        b_transposed, ldb = False, n
    # row-major C = A·B is column-major Cᵀ = Bᵀ·Aᵀ, and a row-major matrix read column-major is its
    # transpose: so B comes first, and an operand stored by columns is the one to transpose.
    ints = np.empty(6, np.int32)
    ints[0], ints[1], ints[2] = n, m, k
    ints[3], ints[4], ints[5] = ldb, lda, C.strides[0] // C.itemsize if m > 1 else max(n, 1)
    scalars = np.empty(2, C.dtype)
    scalars[0], scalars[1] = 1, 0
    flags = np.empty(2, np.uint8)
    flags[0] = _TRANSPOSE if b_transposed else _NO_TRANSPOSE
    flags[1] = _TRANSPOSE if a_transposed else _NO_TRANSPOSE
    i = ints.ctypes.data
    f = flags.ctypes.data
    s = scalars.ctypes.data
    args = (f, f + 1, i, i + 4, i + 8, s, B.ctypes.data, i + 12, A.ctypes.data, i + 16, s + C.itemsize,
            C.ctypes.data, i + 20)
    if C.itemsize == 4:
        _sgemm(*args)
    else:
        _dgemm(*args)
    # The call took only addresses: without a use of the arrays after it, Numba frees them as soon
    # as their addresses are read, and the BLAS would read freed memory.
    _keep_until_here(ints, scalars, flags, A, B)


@njit(**JIT)
def _keep_until_here(*arrays):
    pass


@njit(**PARALLEL_JIT)
def matmul_split(A, B, C, n_blocks):
    """C = A · B with A's rows split into n_blocks blocks computed at once, as the kernels split
    their large products (engine.bench measures the square-product bound with it)."""
    for p in prange(n_blocks):
        lo, hi = block(A.shape[0], n_blocks, p)
        matmul(A[lo:hi], B, C[lo:hi])


# ----- tanh in arithmetic only, so the loops that call it vectorise (libm's tanh does not) ------
# exp(y) for -40 ≤ y ≤ 0: y = k·ln2 + r with |r| ≤ ln2/2, exp(r) by its Taylor series to r¹³
# (error below 1e-16 there), and 2⁻ᵏ as an integer shift. tanh is within 2 ulp of libm's.
_LN2_HI = 6.93147180369123816490e-01
_LN2_LO = 1.90821492927058770002e-10
_INV_LN2 = 1.44269504088896338700e+00
_EXP_TAYLOR = tuple(1.0 / math.factorial(n) for n in range(14))
# Cephes' rational approximation of tanh on |x| < 0.625
_TANH_P = (-9.64399179425052238628e-1, -9.92877231001918586564e1, -1.61468768441708447952e3)
_TANH_Q = (1.12811678491632931402e2, 2.23548839060100448583e3, 4.84406305325125486048e3)


@njit(inline="always", **JIT)
def _exp_nonpositive(y):
    k = math.floor(y * _INV_LN2 + 0.5)
    r = (y - k * _LN2_HI) - k * _LN2_LO
    c = _EXP_TAYLOR
    p = c[13]
    p = c[12] + r * p
    p = c[11] + r * p
    p = c[10] + r * p
    p = c[9] + r * p
    p = c[8] + r * p
    p = c[7] + r * p
    p = c[6] + r * p
    p = c[5] + r * p
    p = c[4] + r * p
    p = c[3] + r * p
    p = c[2] + r * p
    p = c[1] + r * p
    p = c[0] + r * p
    return p / np.float64(np.int64(1) << np.int64(-k))


@njit(inline="always", **JIT)
def _tanh(x):
    a = abs(x)
    z = x * x
    p, q = _TANH_P, _TANH_Q
    near_zero = x + x * z * ((p[0] * z + p[1]) * z + p[2]) / (((z + q[0]) * z + q[1]) * z + q[2])
    e = _exp_nonpositive(-2.0 * min(a, 20.0))      # tanh(20) is 1 to double precision
    far = (1.0 - e) / (1.0 + e)
    far = far if x >= 0 else -far
    result = near_zero if a < 0.625 else far
    return result if x == x else x                  # NaN stays NaN, so divergence is seen


@njit(inline="always", **JIT)
def _sigmoid(z):
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


# ----- the activations, one small function per formula -----------------------------------------
# f(z), and f'(z) given z and a = f(z) (several derivatives are cheapest from a). The loops below
# take one of these as an argument, so each compiled loop holds one formula and vectorises.

@njit(inline="always", **JIT)
def _linear(z):
    return z


@njit(inline="always", **JIT)
def _relu(z):
    return z if z > 0 else 0.0 * z


@njit(inline="always", **JIT)
def _leaky_relu(z):
    return z if z > 0 else LEAKY_SLOPE * z


@njit(inline="always", **JIT)
def _elu(z):
    return z if z > 0 else math.expm1(z)


@njit(inline="always", **JIT)
def _gelu(z):
    return 0.5 * z * (1.0 + _tanh(GELU_C * (z + GELU_K * z * z * z)))


@njit(inline="always", **JIT)
def _swish(z):
    return z * _sigmoid(z)


@njit(inline="always", **JIT)
def _sin(z):
    return math.sin(z)


@njit(inline="always", **JIT)
def _d_linear(z, a):
    return 1.0


@njit(inline="always", **JIT)
def _d_relu(z, a):
    return 1.0 if z > 0 else 0.0


@njit(inline="always", **JIT)
def _d_leaky_relu(z, a):
    return 1.0 if z > 0 else LEAKY_SLOPE


@njit(inline="always", **JIT)
def _d_elu(z, a):
    return 1.0 if z > 0 else a + 1.0


@njit(inline="always", **JIT)
def _d_gelu(z, a):
    t = _tanh(GELU_C * (z + GELU_K * z * z * z))
    return 0.5 * (1.0 + t) + 0.5 * z * (1.0 - t * t) * GELU_C * (1.0 + 3.0 * GELU_K * z * z)


@njit(inline="always", **JIT)
def _d_swish(z, a):
    s = _sigmoid(z)
    return s + a * (1.0 - s)


@njit(inline="always", **JIT)
def _d_sigmoid(z, a):
    return a * (1.0 - a)


@njit(inline="always", **JIT)
def _d_tanh(z, a):
    return 1.0 - a * a


@njit(inline="always", **JIT)
def _d_sin(z, a):
    return math.cos(z)


@njit(inline="always", **JIT)
def activate_scalar(code, z):
    """f(z) for every element-wise activation."""
    if code == LINEAR:
        return _linear(z)
    if code == RELU:
        return _relu(z)
    if code == LEAKY_RELU:
        return _leaky_relu(z)
    if code == ELU:
        return _elu(z)
    if code == GELU:
        return _gelu(z)
    if code == SWISH:
        return _swish(z)
    if code == SIGMOID:
        return _sigmoid(z)
    if code == TANH:
        return _tanh(z)
    return _sin(z)


@njit(inline="always", **JIT)
def derivative_scalar(code, z, a):
    """f'(z), given z and a = f(z)."""
    if code == LINEAR:
        return _d_linear(z, a)
    if code == RELU:
        return _d_relu(z, a)
    if code == LEAKY_RELU:
        return _d_leaky_relu(z, a)
    if code == ELU:
        return _d_elu(z, a)
    if code == GELU:
        return _d_gelu(z, a)
    if code == SWISH:
        return _d_swish(z, a)
    if code == SIGMOID:
        return _d_sigmoid(z, a)
    if code == TANH:
        return _d_tanh(z, a)
    return _d_sin(z, a)


@njit(inline="always", **JIT)
def affine(W, b, A_prev, Z, parts):
    """Z = W · A_prev + b (MATH.md forward pass). A_prev may be a transposed view. A large product
    is split by rows of W into up to `parts` blocks computed at once."""
    n, k = W.shape
    n_blocks = blocks(parts, n, n * k * Z.shape[1], PARALLEL_MIN_MACS)
    if n_blocks == 1:
        _affine(W, b, A_prev, Z)
    else:
        _affine_blocks(W, b, A_prev, Z, n_blocks)


@njit(inline="always", **JIT)
def affine_activate(W, b, A_prev, Z, A, act, parts):
    """affine, then A = f(Z). When the product is split and f is element-wise, each block of rows
    is activated on the core that computed it."""
    n, k = W.shape
    n_blocks = blocks(parts, n, n * k * Z.shape[1], PARALLEL_MIN_MACS)
    if n_blocks == 1 or act == SOFTMAX:
        affine(W, b, A_prev, Z, parts)
        activate(act, Z, A)
    else:
        _affine_activate_blocks(W, b, A_prev, Z, A, act, n_blocks)


@njit(**PARALLEL_JIT)
def _affine_activate_blocks(W, b, A_prev, Z, A, act, n_blocks):
    for p in prange(n_blocks):
        lo, hi = block(W.shape[0], n_blocks, p)
        _affine(W[lo:hi], b[lo:hi], A_prev, Z[lo:hi])
        activate(act, Z[lo:hi], A[lo:hi])


@njit(**PARALLEL_JIT)
def _affine_blocks(W, b, A_prev, Z, n_blocks):
    for p in prange(n_blocks):
        lo, hi = block(W.shape[0], n_blocks, p)
        _affine(W[lo:hi], b[lo:hi], A_prev, Z[lo:hi])


@njit(inline="always", **JIT)
def _affine(W, b, A_prev, Z):
    n, k = W.shape
    m = Z.shape[1]
    if n * k * m >= BLAS_MIN_MACS:
        matmul(W, A_prev, Z)
        for j in range(n):
            bj = b[j, 0]
            for s in range(m):
                Z[j, s] += bj
        return
    for j in range(n):
        bj = b[j, 0]
        for s in range(m):
            Z[j, s] = bj
        for q in range(k):
            w = W[j, q]
            for s in range(m):
                Z[j, s] += w * A_prev[q, s]


@njit(inline="always", **JIT)
def _activate_loop(f, Z, A):
    n, m = Z.shape
    for j in range(n):
        for s in range(m):
            A[j, s] = f(Z[j, s])


@njit(inline="always", **JIT)
def _softmax_columns(Z, A):
    n, m = Z.shape
    for s in range(m):
        top = Z[0, s]
        for j in range(1, n):
            top = max(top, Z[j, s])
        total = 0.0
        for j in range(n):
            e = math.exp(Z[j, s] - top)
            A[j, s] = e
            total += e
        for j in range(n):
            A[j, s] /= total


@njit(**JIT)
def activate(code, Z, A):
    """A = f(Z); softmax normalises each column (each sample) on its own.

    Each branch passes its formula as a function, so each loop is compiled with that formula
    alone: no per-element switch, and the compiler can vectorise it."""
    if code == SOFTMAX:
        _softmax_columns(Z, A)
    elif code == LINEAR:
        _activate_loop(_linear, Z, A)
    elif code == RELU:
        _activate_loop(_relu, Z, A)
    elif code == LEAKY_RELU:
        _activate_loop(_leaky_relu, Z, A)
    elif code == ELU:
        _activate_loop(_elu, Z, A)
    elif code == GELU:
        _activate_loop(_gelu, Z, A)
    elif code == SWISH:
        _activate_loop(_swish, Z, A)
    elif code == SIGMOID:
        _activate_loop(_sigmoid, Z, A)
    elif code == TANH:
        _activate_loop(_tanh, Z, A)
    else:
        _activate_loop(_sin, Z, A)


@njit(**JIT)
def cost(loss, A, Y, eps):
    """The mean cost J of MATH.md (data term), logs protected by clipping A into [eps, 1-eps]."""
    n, m = A.shape
    total = 0.0
    for j in range(n):
        for s in range(m):
            a = A[j, s]
            y = Y[j, s]
            if loss == MSE:
                total += (a - y) * (a - y)
            else:
                a = min(max(a, eps), 1.0 - eps)
                if loss == BCE:
                    total -= y * math.log(a) + (1.0 - y) * math.log(1.0 - a)
                elif y != 0.0:
                    total -= y * math.log(a)
    if loss == MSE:
        return total / (m * n)
    return total / m


@njit(**JIT)
def output_error(act, loss, Z, A, Y, dZ, scale):
    """dZᴸ per MATH.md, times scale (1 for the per-sample error, 1/m inside the fused loop)."""
    n, m = A.shape
    if loss != MSE:
        for j in range(n):
            for s in range(m):
                dZ[j, s] = scale * (A[j, s] - Y[j, s])
        return
    c = scale * 2.0 / n
    if act == SOFTMAX:
        # The softmax Jacobian is not diagonal: dZ_i = a_i (g_i - Σ_j g_j a_j).
        for s in range(m):
            dot = 0.0
            for j in range(n):
                dot += (A[j, s] - Y[j, s]) * A[j, s]
            for j in range(n):
                dZ[j, s] = c * A[j, s] * ((A[j, s] - Y[j, s]) - dot)
        return
    for j in range(n):
        for s in range(m):
            dZ[j, s] = c * (A[j, s] - Y[j, s]) * derivative_scalar(act, Z[j, s], A[j, s])


@njit(inline="always", **JIT)
def weight_grads(dZ, A_prev_T, dW, db, scale, parts):
    """dW = scale · dZ · A_prevᵀ and db = scale · Σ_columns dZ. A_prev_T is A_prev transposed, (m, k).
    A large product is split by rows of dZ into up to `parts` blocks computed at once. Returns
    Σ|dW| + Σ|db| (float64): NaN or infinite when any gradient is."""
    n, m = dZ.shape
    n_blocks = blocks(parts, n, n * m * dW.shape[1], PARALLEL_MIN_MACS)
    if n_blocks == 1:
        return _weight_grads(dZ, A_prev_T, dW, db, scale)
    return _weight_grads_blocks(dZ, A_prev_T, dW, db, scale, n_blocks)


@njit(**PARALLEL_JIT)
def _weight_grads_blocks(dZ, A_prev_T, dW, db, scale, n_blocks):
    sums = np.zeros(n_blocks)
    for p in prange(n_blocks):
        lo, hi = block(dZ.shape[0], n_blocks, p)
        sums[p] = _weight_grads(dZ[lo:hi], A_prev_T, dW[lo:hi], db[lo:hi], scale)
    return sums.sum()


@njit(inline="always", **JIT)
def _weight_grads(dZ, A_prev_T, dW, db, scale):
    n, m = dZ.shape
    k = dW.shape[1]
    if n * k * m >= BLAS_MIN_MACS:
        matmul(dZ, A_prev_T, dW)
        if scale != 1.0:
            for j in range(n):
                for q in range(k):
                    dW[j, q] *= scale
    else:
        for j in range(n):
            for q in range(k):
                total = 0.0
                for s in range(m):
                    total += dZ[j, s] * A_prev_T[s, q]
                dW[j, q] = scale * total
    # Σ|dW| now, while this block of dW is still in cache
    abs_total = dW.dtype.type(0)
    for j in range(n):
        for q in range(k):
            abs_total += abs(dW[j, q])
    for j in range(n):
        total = 0.0
        for s in range(m):
            total += dZ[j, s]
        db[j, 0] = scale * total
        abs_total += abs(db[j, 0])
    return float(abs_total)


@njit(inline="always", **JIT)
def error_and_grads_below(W, dZ, Z_prev, A_prev, act_prev, dZ_prev, A_below_T, dW_prev, db_prev, scale, parts):
    """The error of layer l−1, dZˡ⁻¹ = (Wˡ)ᵀ · dZˡ ⊙ fˡ⁻¹'(Zˡ⁻¹) (MATH.md), then weight_grads of
    layer l−1 (from dZˡ⁻¹ and Aˡ⁻²ᵀ, given as A_below_T, times scale). A large product is split by
    rows of dZˡ⁻¹ (columns of W) into up to `parts` blocks: each core computes its block's error
    and at once that block's weight gradients, in one parallel loop. Returns weight_grads'
    Σ|dW| + Σ|db|."""
    n, k = W.shape
    m = dZ.shape[1]
    n_blocks = blocks(parts, k, n * k * m + k * m * dW_prev.shape[1], PARALLEL_MIN_MACS)
    if n_blocks == 1:
        _hidden_error(W[:, :k], dZ, Z_prev, A_prev, act_prev, dZ_prev)
        return _weight_grads(dZ_prev, A_below_T, dW_prev, db_prev, scale)
    return _error_and_grads_below_blocks(W, dZ, Z_prev, A_prev, act_prev, dZ_prev, A_below_T, dW_prev, db_prev,
                                         scale, n_blocks)


@njit(**PARALLEL_JIT)
def _error_and_grads_below_blocks(W, dZ, Z_prev, A_prev, act_prev, dZ_prev, A_below_T, dW_prev, db_prev,
                                  scale, n_blocks):
    sums = np.zeros(n_blocks)
    for p in prange(n_blocks):
        lo, hi = block(W.shape[1], n_blocks, p)
        _hidden_error(W[:, lo:hi], dZ, Z_prev[lo:hi], A_prev[lo:hi], act_prev, dZ_prev[lo:hi])
        sums[p] = _weight_grads(dZ_prev[lo:hi], A_below_T, dW_prev[lo:hi], db_prev[lo:hi], scale)
    return sums.sum()


@njit(**JIT)   # not inlined like the others: its eight derivative loops would be compiled into every caller
def _hidden_error(W, dZ, Z_prev, A_prev, act_prev, dZ_prev):
    # W is a block of columns, W[:, lo:hi], even when there is one block (W[:, :k]): one array
    # layout, so this is compiled once.
    n, k = W.shape
    m = dZ.shape[1]
    if n * k * m >= BLAS_MIN_MACS:
        matmul(W.T, dZ, dZ_prev)
    else:
        for q in range(k):
            for s in range(m):
                dZ_prev[q, s] = 0.0
        for j in range(n):
            for q in range(k):
                w = W[j, q]
                for s in range(m):
                    dZ_prev[q, s] += w * dZ[j, s]
    if act_prev == RELU:
        _times_derivative(_d_relu, Z_prev, A_prev, dZ_prev)
    elif act_prev == LEAKY_RELU:
        _times_derivative(_d_leaky_relu, Z_prev, A_prev, dZ_prev)
    elif act_prev == ELU:
        _times_derivative(_d_elu, Z_prev, A_prev, dZ_prev)
    elif act_prev == GELU:
        _times_derivative(_d_gelu, Z_prev, A_prev, dZ_prev)
    elif act_prev == SWISH:
        _times_derivative(_d_swish, Z_prev, A_prev, dZ_prev)
    elif act_prev == SIGMOID:
        _times_derivative(_d_sigmoid, Z_prev, A_prev, dZ_prev)
    elif act_prev == TANH:
        _times_derivative(_d_tanh, Z_prev, A_prev, dZ_prev)
    elif act_prev == SIN:
        _times_derivative(_d_sin, Z_prev, A_prev, dZ_prev)


@njit(inline="always", **JIT)
def _times_derivative(df, Z, A, D):
    """D ⊙= f'(Z) for one derivative formula df, so the loop has no switch in it."""
    k, m = D.shape
    for q in range(k):
        for s in range(m):
            D[q, s] *= df(Z[q, s], A[q, s])


# Positions in the hyperparameter array the update kernels read. It is in the parameters' dtype,
# so float32 networks update in float32 and the loops vectorise; derived constants are stored
# there too (Numba would promote `1 - rho` on a float32 to float64).
(LR, L1, L2, MOMENTUM_RATE, RHO, BETA1, BETA2, EPS, NESTEROV, ZERO, ONE, ONE_MINUS_RHO,
 ONE_MINUS_BETA1, ONE_MINUS_BETA2, STEP_SIZE, V_SCALE, TINY, LARGEST, N_HYPER) = range(19)


def hyperparameters(lr, l1, l2, momentum, nesterov, rho, beta1, beta2, eps, dtype):
    """The array the update kernels read (STEP_SIZE and V_SCALE are filled in per step)."""
    hyper = np.zeros(N_HYPER, dtype=dtype)
    for position, value in ((LR, lr), (L1, l1), (L2, l2), (MOMENTUM_RATE, momentum), (NESTEROV, float(nesterov)),
                            (RHO, rho), (BETA1, beta1), (BETA2, beta2), (EPS, eps)):
        hyper[position] = value
    hyper[ONE] = 1.0
    hyper[ONE_MINUS_RHO] = 1.0 - rho
    hyper[ONE_MINUS_BETA1] = 1.0 - beta1
    hyper[ONE_MINUS_BETA2] = 1.0 - beta2
    hyper[TINY] = np.finfo(dtype).tiny
    hyper[LARGEST] = np.finfo(dtype).max
    return hyper


@njit(inline="always", **JIT)
def _sign(w, one, zero):
    """sign(w) in w's own dtype (np.sign would promote float32 to float64 here)."""
    return one if w > zero else (-one if w < zero else zero)


@njit(inline="always", **JIT)
def _flush(x, tiny, zero):
    """x, or 0 when |x| is below the smallest normal number. A running average of a gradient that
    stays 0 (a dead relu's) decays into the subnormal range and sticks at its smallest value, and
    every operation on a subnormal costs about 100 times more on x86. NaN passes through."""
    return zero if abs(x) < tiny else x


# The optimizers update in place, and return the sums of |new value| of the weights and of each
# state row: their finiteness says whether anything overflowed, and the next step bounds every
# magnitude by them (see update_stays_finite). Each loop runs over slices from index 0 with no
# other array aliasing them, which the compiler vectorises.

@njit(**JIT)
def _sgd(w, g, lr, l1, l2, one, zero, tiny):
    w_sum = zero
    for i in range(w.shape[0]):
        grad = g[i] + l2 * w[i] + l1 * _sign(w[i], one, zero)
        value = _flush(w[i] - lr * grad, tiny, zero)
        w[i] = value
        w_sum += abs(value)
    return w_sum, zero, zero


@njit(**JIT)
def _momentum(w, g, v, lr, l1, l2, mu, nesterov, one, zero, tiny):
    w_sum = v_sum = zero
    for i in range(w.shape[0]):
        grad = g[i] + l2 * w[i] + l1 * _sign(w[i], one, zero)
        velocity = _flush(mu * v[i] + grad, tiny, zero)
        v[i] = velocity
        value = w[i] - lr * (grad + mu * velocity) if nesterov else w[i] - lr * velocity
        value = _flush(value, tiny, zero)
        w[i] = value
        w_sum += abs(value)
        v_sum += abs(velocity)
    return w_sum, v_sum, zero


@njit(**JIT)
def _rmsprop(w, g, s, lr, l1, l2, rho, one_minus_rho, eps, one, zero, tiny):
    w_sum = s_sum = zero
    for i in range(w.shape[0]):
        grad = g[i] + l2 * w[i] + l1 * _sign(w[i], one, zero)
        mean_square = _flush(rho * s[i] + one_minus_rho * grad * grad, tiny, zero)
        s[i] = mean_square
        value = _flush(w[i] - lr * grad / (np.sqrt(mean_square) + eps), tiny, zero)
        w[i] = value
        w_sum += abs(value)
        s_sum += mean_square
    return w_sum, s_sum, zero


@njit(**JIT)
def _adam(w, g, m, v, step_size, v_scale, l1, l2, b1, c1, b2, c2, eps, one, zero, tiny):
    w_sum = m_sum = v_sum = zero
    for i in range(w.shape[0]):
        grad = g[i] + l2 * w[i] + l1 * _sign(w[i], one, zero)
        m1 = _flush(b1 * m[i] + c1 * grad, tiny, zero)
        m2 = _flush(b2 * v[i] + c2 * grad * grad, tiny, zero)
        m[i] = m1
        v[i] = m2
        # Adam with bias correction: α·m̂ / (√v̂ + ε), with α/(1−β₁ᵗ) and 1/(1−β₂ᵗ) folded in
        value = _flush(w[i] - step_size * m1 / (np.sqrt(m2 * v_scale) + eps), tiny, zero)
        w[i] = value
        w_sum += abs(value)
        m_sum += abs(m1)
        v_sum += m2
    return w_sum, m_sum, v_sum


@njit(inline="always", **JIT)
def update_in_place(opt, theta, grad, state, lo, hi, hyper, regularise):
    """One optimizer step for theta[lo:hi] and its state, in place. Returns the sums of |value| of
    the new weights and of each state row. Regularisation (L1, L2) applies where regularise is
    True: the weights, not the biases."""
    zero = hyper[ZERO]
    one = hyper[ONE]
    tiny = hyper[TINY]
    l1 = hyper[L1] if regularise else zero
    l2 = hyper[L2] if regularise else zero
    w, g = theta[lo:hi], grad[lo:hi]
    if opt == SGD:
        return _sgd(w, g, hyper[LR], l1, l2, one, zero, tiny)
    if opt == MOMENTUM:
        return _momentum(w, g, state[0, lo:hi], hyper[LR], l1, l2, hyper[MOMENTUM_RATE],
                         hyper[NESTEROV] != zero, one, zero, tiny)
    if opt == RMSPROP:
        return _rmsprop(w, g, state[0, lo:hi], hyper[LR], l1, l2, hyper[RHO], hyper[ONE_MINUS_RHO],
                        hyper[EPS], one, zero, tiny)
    return _adam(w, g, state[0, lo:hi], state[1, lo:hi], hyper[STEP_SIZE], hyper[V_SCALE], l1, l2,
                 hyper[BETA1], hyper[ONE_MINUS_BETA1], hyper[BETA2], hyper[ONE_MINUS_BETA2], hyper[EPS],
                 one, zero, tiny)


@njit(**JIT)
def set_step(opt, hyper, t):
    """Adam's bias-corrected step size and v scale for update number t (from 1)."""
    if opt == ADAM:
        hyper[STEP_SIZE] = hyper[LR] / (1.0 - hyper[BETA1] ** t)
        hyper[V_SCALE] = 1.0 / (1.0 - hyper[BETA2] ** t)


@njit(inline="always", **JIT)
def update_range(opt, theta, grad, state, lo, hi, hyper, regularise, parts):
    """update_in_place for theta[lo:hi], a large range split into up to `parts` blocks updated at
    once. Returns the sums of |value| as floats."""
    n_blocks = blocks(parts, hi - lo, hi - lo, PARALLEL_MIN_VALUES)
    if n_blocks > 1:
        return _update_blocks(opt, theta, grad, state, lo, hi, hyper, regularise, n_blocks)
    w_sum, s0_sum, s1_sum = update_in_place(opt, theta, grad, state, lo, hi, hyper, regularise)
    return float(w_sum), float(s0_sum), float(s1_sum)


@njit(**PARALLEL_JIT)
def _update_blocks(opt, theta, grad, state, lo, hi, hyper, regularise, n_blocks):
    sums = np.zeros((n_blocks, 3))
    for p in prange(n_blocks):
        first, last = block(hi - lo, n_blocks, p)
        w_sum, s0_sum, s1_sum = update_in_place(opt, theta, grad, state, lo + first, lo + last, hyper, regularise)
        sums[p, 0] = w_sum
        sums[p, 1] = s0_sum
        sums[p, 2] = s1_sum
    return sums[:, 0].sum(), sums[:, 1].sum(), sums[:, 2].sum()


@njit(**JIT)
def update_params_in_place(opt, sizes, p_off, theta, grad, state, hyper, parts):
    """Update every layer in place (set_step first): regularisation on the weights only.
    Returns the sums of |value| of the new parameters and of each state row (float64)."""
    regularised = hyper[L1] != 0 or hyper[L2] != 0
    if not regularised:
        # no regularisation: weights and biases update alike, in one pass over every parameter.
        # p_off[0] (0) and `regularised` (False) rather than literals, which would compile the
        # parallel update loop a second time for constant arguments.
        return update_range(opt, theta, grad, state, p_off[0], theta.shape[0], hyper, regularised, parts)
    w_total = s0_total = s1_total = 0.0
    for l in range(sizes.shape[0] - 1):
        w_lo = p_off[l]
        b_lo = w_lo + sizes[l + 1] * sizes[l]
        hi = b_lo + sizes[l + 1]
        for lo, up, regularise in ((w_lo, b_lo, True), (b_lo, hi, False)):
            w_sum, s0_sum, s1_sum = update_range(opt, theta, grad, state, lo, up, hyper, regularise, parts)
            w_total += w_sum
            s0_total += s0_sum
            s1_total += s1_sum
    return w_total, s0_total, s1_total


@njit(**JIT_EXACT)
def all_finite(x):
    """Whether every value of x is finite (only on the rare path where a sum overflowed)."""
    for i in range(x.shape[0]):
        if not math.isfinite(x[i]):
            return False
    return True


@njit(inline="always", **JIT)
def abs_sum(x):
    """Σ|x| in float64: NaN or infinite when any value is, and never below the largest |x|."""
    total = x.dtype.type(0)
    for i in range(x.shape[0]):
        total += abs(x[i])
    return float(total)


@njit(inline="always", **JIT)
def abs_sum_parts(x, parts):
    """abs_sum of a large x, split into up to `parts` blocks summed at once."""
    n_blocks = blocks(parts, x.shape[0], x.shape[0], PARALLEL_MIN_VALUES)
    if n_blocks == 1:
        return abs_sum(x)
    return _abs_sum_blocks(x, n_blocks)


@njit(**PARALLEL_JIT)
def _abs_sum_blocks(x, n_blocks):
    sums = np.zeros(n_blocks)
    for p in prange(n_blocks):
        lo, hi = block(x.shape[0], n_blocks, p)
        sums[p] = abs_sum(x[lo:hi])
    return sums.sum()


@njit(**JIT)
def update_params(opt, sizes, p_off, theta, grad, state, new_theta, new_state, hyper, t, parts):
    """The update for step t (from 1) written into new_theta and new_state, leaving theta and
    state as they are; False when any new value is NaN or infinite."""
    set_step(opt, hyper, t)
    new_theta[:] = theta
    new_state[:] = state
    return update_params_checked(opt, sizes, p_off, new_theta, grad, new_state, hyper, parts)[0]


@njit(**JIT)
def update_params_checked(opt, sizes, p_off, theta, grad, state, hyper, parts):
    """update_params_in_place, then (ok, sums): ok is False when any new value is NaN or infinite."""
    w_sum, s0_sum, s1_sum = update_params_in_place(opt, sizes, p_off, theta, grad, state, hyper, parts)
    # the sums say it at once; only when one overflowed must every value be looked at
    ok = finite(w_sum, s0_sum, s1_sum) or (all_finite(theta) and all_finite(state.ravel()))
    return ok, w_sum, s0_sum, s1_sum


@njit(**JIT_EXACT)
def is_finite(x):
    return math.isfinite(x)


@njit(**JIT_EXACT)
def finite(a, b, c):
    return math.isfinite(a) and math.isfinite(b) and math.isfinite(c)


@njit(**JIT_EXACT)
def update_stays_finite(opt, hyper, w_sum, g_sum, s0_sum, s1_sum):
    """True when this step's update cannot overflow. Bounds every magnitude it computes from the
    sums of |value| (each at least the largest single value; doubled against rounding) and
    requires the result to stay 4 times below the largest number of the dtype. Conservative: when
    False the caller keeps a copy to restore."""
    W, G, S0, S1 = 2.0 * w_sum, 2.0 * g_sum, 2.0 * s0_sum, 2.0 * s1_sum
    lr, l1, l2 = float(hyper[LR]), float(hyper[L1]), float(hyper[L2])
    eps = float(hyper[EPS])
    grad = G + l2 * W + l1
    if opt == SGD:
        bound = max(grad, W + lr * grad)
    elif opt == MOMENTUM:
        mu = float(hyper[MOMENTUM_RATE])
        velocity = mu * S0 + grad
        bound = max(velocity, W + lr * (grad + mu * velocity))
    elif opt == RMSPROP:
        mean_square = float(hyper[RHO]) * S0 + grad * grad
        bound = max(mean_square, grad * grad, W + lr * grad / eps)
    else:
        step_size, v_scale = float(hyper[STEP_SIZE]), float(hyper[V_SCALE])
        m1 = float(hyper[BETA1]) * S0 + grad
        m2 = float(hyper[BETA2]) * S1 + grad * grad
        bound = max(m1, m2 * v_scale, grad * grad, W + step_size * m1 / eps)
    return bound < 0.25 * float(hyper[LARGEST])


@njit(**JIT)
def state_sums(theta, state, parts):
    """Σ|w| and Σ|state row| for update_stays_finite."""
    s1 = abs_sum_parts(state[1], parts) if state.shape[0] > 1 else 0.0
    s0 = abs_sum_parts(state[0], parts) if state.shape[0] > 0 else 0.0
    return abs_sum_parts(theta, parts), s0, s1


@njit(inline="always", **JIT)
def gather_columns(X_rows, idx, XT, parts):
    """XT[:, s] = X_rows[idx[s]]: the mini-batch as columns, samples as MATH.md lays them out. Read
    one feature at a time across the batch, so every write is contiguous and the batch's rows stay
    in cache between features. Many features are split into up to `parts` blocks copied at once."""
    d = X_rows.shape[1]
    n_blocks = blocks(parts, d, d * idx.shape[0], PARALLEL_MIN_VALUES)
    if n_blocks == 1:
        _gather_columns(X_rows, idx, XT, 0, d)
    else:
        _gather_columns_blocks(X_rows, idx, XT, n_blocks)


@njit(**PARALLEL_JIT)
def _gather_columns_blocks(X_rows, idx, XT, n_blocks):
    for p in prange(n_blocks):
        lo, hi = block(X_rows.shape[1], n_blocks, p)
        _gather_columns(X_rows, idx, XT, lo, hi)


@njit(inline="always", **JIT)
def _gather_columns(X_rows, idx, XT, lo, hi):
    """Features lo..hi−1 of the batch."""
    m = idx.shape[0]
    for k in range(lo, hi):
        for s in range(m):
            XT[k, s] = X_rows[idx[s], k]


@njit(**JIT)
def _view(buf, off, n, m):
    return buf[off:off + n * m].reshape((n, m))


@njit(inline="always", **JIT)
def _layer_views(flat, p_off, sizes, l):
    """Layer l's (from 0) weight matrix and bias column in a flat array of every parameter (the
    parameters themselves, or their gradients)."""
    n_out, n_in = sizes[l + 1], sizes[l]
    return _view(flat, p_off[l], n_out, n_in), _view(flat, p_off[l] + n_out * n_in, n_out, 1)


@njit(**JIT)
def train_loop(sizes, acts, loss, opt, theta, state, grad, p_off,
               X_rows, Y_rows, order, batch_size, n_steps, start_cursor,
               hyper, log_eps, t0, losses, parts):
    """Run n_steps mini-batch steps entirely in compiled code, updating theta and state in place.

    A step whose cost or gradient is NaN or infinite stops the loop before its update. The update
    itself runs in place when update_stays_finite proves it cannot overflow (always, in practice);
    otherwise a copy is kept first and restored if anything overflowed. Either way, a stopped run
    leaves the parameters and state of the last good step.
    order is the concatenated sample order of every epoch this call may touch; the batch of a step
    is the next batch_size entries, cut short at the end of an epoch (M samples).
    Large products and passes are split into up to `parts` blocks, one per core.
    Returns (steps done, ok flag, cursor after the last step). Each step's batch cost is written
    to losses.
    """
    L = acts.shape[0]
    M = X_rows.shape[0]
    d = X_rows.shape[1]
    n_max = 0
    total_units = 0
    for l in range(1, L + 1):
        n_max = max(n_max, sizes[l])
        total_units += sizes[l]
    dtype = theta.dtype
    xbuf = np.empty(d * batch_size, dtype)
    ybuf = np.empty(sizes[L] * batch_size, dtype)
    zbuf = np.empty(total_units * batch_size, dtype)
    abuf = np.empty(total_units * batch_size, dtype)
    dzbuf = np.empty(total_units * batch_size, dtype)
    u_off = np.zeros(L + 1, np.int64)
    for l in range(L):
        u_off[l + 1] = u_off[l] + sizes[l + 1] * batch_size
    cursor = start_cursor
    t = t0
    w_sum, s0_sum, s1_sum = state_sums(theta, state, parts)
    for step in range(n_steps):
        epoch_pos = cursor % M
        m = min(batch_size, M - epoch_pos)
        idx = order[cursor:cursor + m]
        # views of whole buffers, not slices of a (d, batch_size) array, so they are C-contiguous
        XT = _view(xbuf, 0, d, m)
        YT = _view(ybuf, 0, sizes[L], m)
        gather_columns(X_rows, idx, XT, parts)
        gather_columns(Y_rows, idx, YT, parts)
        # forward
        for l in range(L):
            n_out = sizes[l + 1]
            n_in = sizes[l]
            W, b = _layer_views(theta, p_off, sizes, l)
            Z = _view(zbuf, u_off[l], n_out, m)
            A = _view(abuf, u_off[l], n_out, m)
            A_prev = XT if l == 0 else _view(abuf, u_off[l - 1], n_in, m)
            affine_activate(W, b, A_prev, Z, A, acts[l], parts)
        A_out = _view(abuf, u_off[L - 1], sizes[L], m)
        losses[step] = cost(loss, A_out, YT, log_eps)
        if not is_finite(losses[step]):
            return step, False, cursor
        # backward: dZ here is already divided by m, so dW and db need no further scaling
        output_error(acts[L - 1], loss, _view(zbuf, u_off[L - 1], sizes[L], m), A_out,
                     YT, _view(dzbuf, u_off[L - 1], sizes[L], m), 1.0 / m)
        # the output layer's weight gradients, then for each layer l from the top: the error of
        # layer l−1 and, in the same pass, layer l−1's weight gradients
        top = L - 1
        dW, db = _layer_views(grad, p_off, sizes, top)
        A_below = XT if top == 0 else _view(abuf, u_off[top - 1], sizes[top], m)
        g_sum = weight_grads(_view(dzbuf, u_off[top], sizes[L], m), A_below.T, dW, db, 1.0, parts)
        for l in range(top, 0, -1):
            n_out = sizes[l + 1]
            n_in = sizes[l]
            W = _view(theta, p_off[l], n_out, n_in)
            dZ = _view(dzbuf, u_off[l], n_out, m)
            Z_prev = _view(zbuf, u_off[l - 1], n_in, m)
            A_prev = _view(abuf, u_off[l - 1], n_in, m)
            dZ_prev = _view(dzbuf, u_off[l - 1], n_in, m)
            dW, db = _layer_views(grad, p_off, sizes, l - 1)
            A_below = XT if l == 1 else _view(abuf, u_off[l - 2], sizes[l - 1], m)
            g_sum += error_and_grads_below(W, dZ, Z_prev, A_prev, acts[l - 1], dZ_prev, A_below.T, dW, db, 1.0, parts)
        if not is_finite(g_sum):
            return step, False, cursor
        set_step(opt, hyper, t + 1)
        if update_stays_finite(opt, hyper, w_sum, g_sum, s0_sum, s1_sum):
            w_sum, s0_sum, s1_sum = update_params_in_place(opt, sizes, p_off, theta, grad, state, hyper, parts)
        else:
            theta_before, state_before = theta.copy(), state.copy()
            ok, w_sum, s0_sum, s1_sum = update_params_checked(opt, sizes, p_off, theta, grad, state, hyper, parts)
            if not ok:
                theta[:] = theta_before
                state[:] = state_before
                return step, False, cursor
        t += 1
        cursor += m
    return n_steps, True, cursor
