// Where the test server listens (shared by the config and the tests).
export const port = Number(process.env.E2E_PORT ?? 3107);
// Chromium resolves *.localhost to loopback itself; Node does not, so API calls from Node use the IP.
export const shopURL = `http://demo.localhost:${port}`;
export const apiURL = `http://127.0.0.1:${port}`;
