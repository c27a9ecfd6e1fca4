'use strict';
const words = require('./words/words.json');

exports.greet = (who) => `${words.hello} from ${who}, ${words.through}`;
