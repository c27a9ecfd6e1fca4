// LOAD-FAIL: a syntax error; the runtime must say so in one line and exit non-zero within 5 s.
module.exports = {
  main: async (event) => {
    return 'never served'
  ,
};
