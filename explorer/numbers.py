"""Numbers as the app writes them everywhere: on the graph, in the equations and in messages."""
import math


def num(v, digits: int = 4) -> str:
    """`digits` significant digits, an exponent only when needed, and a true minus: −5.028e−6."""
    v = float(v)
    if not math.isfinite(v):
        return "NaN" if math.isnan(v) else ("∞" if v > 0 else "−∞")
    if v == 0:
        return "0"
    a = abs(v)
    if 1e-3 <= a < 1e5:
        s = f"{v:.{digits}g}"
    else:
        mantissa, exponent = f"{v:.{digits - 1}e}".split("e")
        if "." in mantissa:
            mantissa = mantissa.rstrip("0").rstrip(".")
        s = f"{mantissa}e{int(exponent)}"
    return s.replace("-", "−")


def typed_number(text: str) -> float:
    """A number as a person types or pastes it: a decimal comma, and the true minus that the app
    writes (−0.5, 1e−5), are read too. ValueError when it is not a number."""
    return float(text.strip().replace(",", ".").replace("−", "-"))


def nums_apart(a, b, digits: int = 4, most: int = 12) -> tuple[str, str]:
    """`a` and `b` written with `digits` significant digits, or with as many more (up to `most`) as
    it takes to tell them apart: a small update moves 0.5328 to 0.53283, not to "0.5328" again."""
    for d in range(digits, most + 1):
        left, right = num(a, d), num(b, d)
        if left != right or float(a) == float(b):
            break
    return left, right
