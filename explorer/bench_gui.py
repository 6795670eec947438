"""``backprop-explorer bench --gui``: the real window, offscreen, measured in one run.

Reports: training steps/s with the window live and without it (the same settings, the engine alone),
the views' frames per second, the GUI thread's stalls (a 5 ms heartbeat timer: worst gap and 99th
percentile) while training at full speed, and the time from a Step click to the views showing that
step. A benchmark prints figures; it never passes or fails.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time

import numpy as np

GOALS = {"stall_p99_ms": 50.0, "stall_worst_ms": 100.0, "frames_per_second": 30.0,
         "live_over_headless": 0.5, "step_to_pixels_ms": 50.0}


def headless_steps_per_second(state, seconds: float) -> float:
    """The engine alone with the network and data the window trains (built by the worker's own
    code, so image presets run in float32 as in the app), in ~15 ms chunks like the worker."""
    from .worker import TrainingWorker
    builder = TrainingWorker(state)
    builder._build(state, keep_history=False)
    tr = builder.trainer
    tr.train(steps=10)
    k, done = 10, 0
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        c0 = time.perf_counter()
        done += tr.train(steps=k)
        dt = time.perf_counter() - c0
        k = int(max(1, min(200000, k * 0.015 / max(dt, 1e-6))))
    return done / (time.perf_counter() - t0)


def spin(seconds: float) -> None:
    """Run the Qt event loop for ``seconds``, as app.exec() would."""
    from PySide6.QtCore import QEventLoop, QTimer
    loop = QEventLoop()
    QTimer.singleShot(int(seconds * 1000), loop.quit)
    loop.exec()


def run(seconds: float = 5.0, preset: str | None = None, size=(1400, 900)) -> dict:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QSettings, QTimer
    from PySide6.QtWidgets import QApplication

    from .app import freeze_after_first_frame, wait_until
    from .main_window import MainWindow
    from .state import AppState, load_preset

    state = load_preset(preset) if preset else AppState()
    # train at full speed for the whole measurement: a preset's "pause after N epochs" would stop it
    state = state.replace(epochs=0)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    settings = QSettings(os.path.join(os.path.expanduser("~"), ".backprop-explorer-bench.ini"), QSettings.IniFormat)
    settings.clear()
    t_start = time.perf_counter()
    win = MainWindow(state, settings=settings, restore=False)
    win.resize(*size)
    win.show()
    freeze_after_first_frame(win)                      # as the app does
    if not wait_until(app, lambda: win.snapshot is not None, timeout=300):
        raise RuntimeError("the window never showed a first snapshot")
    startup = time.perf_counter() - t_start

    # --- Step to pixels (paused) -------------------------------------------------------------
    from PySide6.QtCore import QEventLoop
    spin(0.5)                    # the window's first full paint, before anyone could click Step
    latencies = []
    for _ in range(25):
        target = win.snapshot.step + 1
        loop = QEventLoop()
        done = lambda snap, loop=loop, target=target: loop.quit() if snap.step >= target else None  # noqa: E731
        win.snapshot_shown.connect(done)
        QTimer.singleShot(10_000, loop.quit)
        t0 = time.perf_counter()
        win.step_action.trigger()
        loop.exec()
        app.processEvents()          # the repaint the views asked for
        latencies.append((time.perf_counter() - t0) * 1000)
        win.snapshot_shown.disconnect(done)
        spin(0.02)

    # --- full speed with the window live -----------------------------------------------------
    gaps = []
    last = [time.perf_counter()]

    def beat():
        now = time.perf_counter()
        gaps.append((now - last[0]) * 1000)
        last[0] = now

    heart = QTimer()
    heart.setInterval(5)
    heart.timeout.connect(beat)
    win.play()
    spin(0.5)                                            # let the chunk size settle
    frames0, step0 = win.frames, win.snapshot.step
    gaps.clear()
    last[0] = time.perf_counter()
    heart.start()
    t0 = time.perf_counter()
    spin(seconds)
    wall = time.perf_counter() - t0
    heart.stop()
    frames = win.frames - frames0
    win.pause()
    wait_until(app, lambda: not win.snapshot.playing, timeout=10)
    steps_live = (win.snapshot.step - step0) / wall
    big_data = win.worker._big_data()
    steps_per_epoch = int(win.worker.trainer.steps_per_epoch)
    win.close()
    app.processEvents()
    settings.clear()
    try:
        os.remove(settings.fileName())
    except OSError:
        pass

    headless = headless_steps_per_second(state, seconds)
    g = np.asarray(gaps) if gaps else np.zeros(1)
    return {
        "preset": preset or "playground",
        "sizes": list(state.sizes),
        "seconds": seconds,
        "startup_seconds": round(startup, 2),
        "steps_per_second_live": round(steps_live, 1),
        "steps_per_second_headless": round(headless, 1),
        "live_over_headless": round(steps_live / headless, 3) if headless else None,
        "frames_per_second": round(frames / wall, 1),
        "big_data": big_data,
        "seconds_per_epoch_live": round(steps_per_epoch / steps_live, 3) if steps_live else None,
        "seconds_per_epoch_headless": round(steps_per_epoch / headless, 3) if headless else None,
        "stall_worst_ms": round(float(g.max()), 1),
        "stall_p99_ms": round(float(np.percentile(g, 99)), 1),
        "heartbeat_median_ms": round(float(np.median(g)), 2),
        "step_to_pixels_ms_median": round(float(np.median(latencies)), 1),
        "step_to_pixels_ms_worst": round(float(np.max(latencies)), 1),
        "goals": GOALS,
    }


def main(argv=None) -> int:
    from .worker import BIG_CHUNK_SECONDS

    p = argparse.ArgumentParser(prog="backprop-explorer bench --gui",
                                description="Measure the live window: training speed, frame rate, stalls, Step latency.")
    p.add_argument("--json", action="store_true", help="print the figures as JSON")
    p.add_argument("--seconds", type=float, default=5.0, help="how long to train at full speed (default 5)")
    p.add_argument("--preset", help="a preset to measure instead of the Playground defaults")
    args = p.parse_args(argv)
    if args.seconds <= 0:
        p.error("--seconds must be positive")
    try:
        r = run(args.seconds, args.preset)
    except ValueError as exc:
        print(f"backprop-explorer: error: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(r, indent=2))
        return 0
    ok = lambda good: "ok" if good else "MISSED"  # noqa: E731
    print(f"Backprop Explorer GUI benchmark ({r['preset']}, network {r['sizes']}, {r['seconds']:g} s at full speed)")
    print(f"  training, window live   {r['steps_per_second_live']:>12,.0f} steps/s")
    print(f"  training, no window     {r['steps_per_second_headless']:>12,.0f} steps/s   "
          f"live/headless {r['live_over_headless']:.2f} (goal ≥ 0.5: {ok(r['live_over_headless'] >= 0.5)})")
    if r["big_data"]:
        print(f"  one epoch               {r['seconds_per_epoch_live']:>12.3f} s live, "
              f"{r['seconds_per_epoch_headless']:.3f} s headless")
        print(f"  views                   {r['frames_per_second']:>12.1f} frames/s  (big data: redrawn about "
              f"{1 / BIG_CHUNK_SECONDS:.0f} times a second, so training keeps both cores)")
    else:
        print(f"  views                   {r['frames_per_second']:>12.1f} frames/s  "
              f"(goal ≥ 30: {ok(r['frames_per_second'] >= 30)})")
    print(f"  GUI stall p99           {r['stall_p99_ms']:>12.1f} ms        (goal ≤ 50: {ok(r['stall_p99_ms'] <= 50)})")
    print(f"  GUI stall worst         {r['stall_worst_ms']:>12.1f} ms        (goal ≤ 100: {ok(r['stall_worst_ms'] <= 100)})")
    print(f"  Step to pixels          {r['step_to_pixels_ms_median']:>12.1f} ms median, "
          f"{r['step_to_pixels_ms_worst']:.1f} worst (goal ≤ 50: {ok(r['step_to_pixels_ms_worst'] <= 50)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
