# A sample Function (Kyma Serverless legacy API): greets, and echoes the CloudEvent it got.
def main(event, context):
    return {
        "message": "Hello from %s on %s" % (context["function-name"] or "a function", context["runtime"]),
        "type": event["ce-type"],
        "data": event["data"],
    }
