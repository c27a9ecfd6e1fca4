from greetings.words import HELLO, THROUGH


def greet(who):
    return f"{HELLO} from {who}, {THROUGH}"
