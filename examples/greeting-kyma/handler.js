// A sample Function for Kyma's buildless launch: its dependency (a local package, as a vendored
// tarball or folder would be) is baked into the override image by `rtbuild --for kyma`, so the pod
// needs no package registry when it starts.
const words = require('greeting-words');

module.exports = {
  main: async (event, context) => ({
    message: words.greet(context['function-name'] || 'a function'),
    runtime: context.runtime,
    data: event.data ?? null,
  }),
};
