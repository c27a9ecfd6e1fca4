// A sample Function (Kyma Serverless legacy API): greets, and echoes the CloudEvent it got.
module.exports = {
  main: async (event, context) => ({
    message: `Hello from ${context['function-name'] || 'a function'} on ${context.runtime}`,
    type: event['ce-type'] ?? null,
    data: event.data ?? null,
  }),
};
