// The Function's dependency: a local package, installed into /usr/src/app/node_modules of the image.
module.exports = {
  greet: (name) => `Hello from ${name}, with its dependencies baked into the image`,
};
