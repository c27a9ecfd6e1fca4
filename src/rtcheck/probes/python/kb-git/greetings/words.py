HELLO = "hello"
THROUGH = "through several files"
