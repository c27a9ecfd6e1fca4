// LOAD-PATH: a handler found through Kyma's HANDLER_PATH, not at the default place.
module.exports.main = () => 'override hello';
