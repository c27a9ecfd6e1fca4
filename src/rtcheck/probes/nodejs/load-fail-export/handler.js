// LOAD-FAIL: the module loads, but its export `main` is not a function.
module.exports = { main: 'not a function', other: async () => 'never served' };
