/** Jest setup of the "memory storage" project (jest.config.js): the registry helpers start on the in-memory driver. */
process.env.BERTH_TEST_STORAGE = 'memory';
