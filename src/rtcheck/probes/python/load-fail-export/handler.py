# LOAD-FAIL: the module loads, but it has no callable `main`.
main = 'not a function'
