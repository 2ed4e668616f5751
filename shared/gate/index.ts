/**
 * The release gate (issue 14), pure functions: `judgeCandidate` compares a candidate with the baseline measured
 * beside it, `bestCandidate` picks the one to promote, `costPerMillion` prices a scenario's predictions.
 * docs/gate.md explains the test and its measured false-alarm and detection rates.
 */
export * from './best-candidate.js';
export * from './cost-per-million.js';
export * from './histogram-sample.js';
export * from './judge-candidate.js';
export * from './mann-whitney.js';
export * from './prices.js';
