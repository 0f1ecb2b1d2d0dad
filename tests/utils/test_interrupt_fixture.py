def test_python_loop_is_interruptible(assert_interruptible):
    assert_interruptible("x = 0", "while True:\n    x += 1")


def test_detects_swallowed_interrupt(assert_interruptible):
    import pytest
    with pytest.raises(AssertionError, match="no KeyboardInterrupt"):
        assert_interruptible("import time", """
for _ in range(20):
    try:
        time.sleep(0.1)
    except KeyboardInterrupt:
        pass
""")
