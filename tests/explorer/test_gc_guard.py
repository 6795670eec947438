"""While a training thread runs, Python's cycle collector never runs in it: Qt widgets in the garbage
would be destroyed off the GUI thread (a crash, or a deadlock between Qt's lock and the GIL)."""
import gc
import weakref

from explorer import gc_guard


def test_hold_and_release_nest_and_restore_automatic_collection():
    assert gc.isenabled()
    gc_guard.hold()
    gc_guard.hold()
    assert not gc.isenabled()
    gc_guard.release()
    assert not gc.isenabled()                    # one thread still runs
    gc_guard.release()
    assert gc.isenabled()


def test_the_gui_thread_collects_what_is_due():
    class Node:
        pass

    gc_guard.hold()
    try:
        gc.collect()
        a, b = Node(), Node()
        a.other, b.other = b, a                  # a cycle only the collector frees
        gone = weakref.ref(a)
        del a, b
        kept = [Node() for _ in range(gc.get_threshold()[0] + 1)]   # past the collector's count
        assert gone() is not None               # nothing collected it automatically
        assert gc_guard.collect_if_due() >= 2
        assert gone() is None and kept
    finally:
        gc_guard.release()


def test_a_window_keeps_collection_off_while_its_worker_runs(make_window, qtbot):
    win = make_window()
    assert not gc.isenabled() and win.gc_timer.isActive()
    win.close()
    assert win.thread.wait(10_000)
    assert gc.isenabled()


def test_freezing_collects_the_garbage_first_and_sets_the_rest_aside():
    class Node:
        pass

    a, b = Node(), Node()
    a.other, b.other = b, a
    gone = weakref.ref(a)
    del a, b
    try:
        gc_guard.freeze_long_lived()
        assert gone() is None                    # garbage is not kept forever
        assert gc.get_freeze_count() > 1000      # the modules and whatever else lives on
    finally:
        gc.unfreeze()


def test_the_app_freezes_once_after_its_first_frame(make_window, qtbot, monkeypatch):
    from explorer.app import freeze_after_first_frame
    calls = []
    monkeypatch.setattr(gc_guard, "freeze_long_lived", lambda: calls.append(gc.get_count()))
    win = make_window()
    freeze_after_first_frame(win)
    assert calls == []
    win.post("step")
    win.post("step")
    qtbot.waitUntil(lambda: win.snapshot is not None and win.snapshot.step >= 2, timeout=10_000)
    qtbot.wait(100)
    assert len(calls) == 1
