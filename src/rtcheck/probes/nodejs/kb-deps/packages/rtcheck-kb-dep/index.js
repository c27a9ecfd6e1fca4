'use strict';
exports.answer = () => 'kb dependency ok';
