// Momentique's page enhancements. Pages work without this file; it only adds to them.
// Loaded as a module with the request's CSP nonce.

document.documentElement.dataset.js = "on";
