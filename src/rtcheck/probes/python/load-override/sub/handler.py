# LOAD-PATH: a handler found through Kyma's FUNCTION_PATH (a directory), not at the default place.
def main(event, context):
    return 'override hello'
