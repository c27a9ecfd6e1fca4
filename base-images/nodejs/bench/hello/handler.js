module.exports = { main: () => 'Hello World' };
