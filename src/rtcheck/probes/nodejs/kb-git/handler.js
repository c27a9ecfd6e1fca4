// KB-GIT: a Function whose sources come from a Git repository: Kyma's launch copies
// /git-repository/src/* into the working directory. Several files and a folder, required relatively.
'use strict';
const { greet } = require('./lib/greeting.js');

module.exports = { main: async () => greet('git') };
