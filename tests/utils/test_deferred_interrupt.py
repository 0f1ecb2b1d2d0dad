import os
import signal

import pytest

from sparseopt.utils import DeferredInterrupt


def test_sigint_is_raised_at_the_next_check_only():
    with pytest.raises(KeyboardInterrupt):
        with DeferredInterrupt() as interrupt:
            os.kill(os.getpid(), signal.SIGINT)
            reached = True  # the handler only recorded the signal
            interrupt.check()
            reached = False
    assert reached
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_pending_sigint_is_raised_on_exit_and_nesting_propagates():
    with pytest.raises(KeyboardInterrupt):
        with DeferredInterrupt():
            with DeferredInterrupt() as inner:
                os.kill(os.getpid(), signal.SIGINT)
                with pytest.raises(KeyboardInterrupt):
                    inner.check()
            os.kill(os.getpid(), signal.SIGINT)
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler



def test_inner_check_raises_a_signal_the_outer_block_recorded():
    """A Ctrl-C that arrives between two kernels of an outer block, before an inner
    loop starts, is raised at the inner loop's first check, not after the loop."""
    with DeferredInterrupt():
        os.kill(os.getpid(), signal.SIGINT)  # recorded by the outer block
        with pytest.raises(KeyboardInterrupt):
            with DeferredInterrupt() as inner:
                inner.check()
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler

def test_user_handlers_and_ignore_are_respected():
    seen = []
    previous = signal.signal(signal.SIGINT, lambda signum, frame: seen.append(signum))
    try:
        with DeferredInterrupt() as interrupt:
            os.kill(os.getpid(), signal.SIGINT)
            interrupt.check()  # calls the user's handler, raises nothing
        assert seen == [signal.SIGINT]
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        with DeferredInterrupt() as interrupt:
            os.kill(os.getpid(), signal.SIGINT)
            interrupt.check()
    finally:
        signal.signal(signal.SIGINT, previous)
