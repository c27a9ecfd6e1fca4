// LOAD-PATH: a CommonJS handler.cjs that assigns exports.main.
exports.main = async () => 'cjs exports hello';
