// LOAD-PATH with overrides: MOD_NAME=rtcheck_alt, FUNC_HANDLER=entry, an ES module (.mjs).
export async function entry() {
  return 'alt hello';
}
