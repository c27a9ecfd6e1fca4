def answer():
    return "kb dependency ok"
