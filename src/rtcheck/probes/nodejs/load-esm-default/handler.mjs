// LOAD-PATH: an ES module handler.mjs whose default export holds main.
export default {
  main: async () => 'esm default hello',
};
