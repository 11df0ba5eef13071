// @aaclip/core/testing: the backend conformance harness (the golden fixture's checks, runnable
// against any Backend, in Node or a browser), the fixture's file list and parser, and maxAbsError.
// Kept out of core's main entry: a backend author's and the test suites' tool, not everyday API.
export * from './maxAbsError.js';
export * from './conformanceFixture.js';
export * from './conformance.js';
export * from './mapCorrelation.js';
