# LOAD-PATH with overrides: MOD_NAME=rtcheck_alt, FUNC_HANDLER=entry.
def entry(event, context):
    return 'alt hello'
