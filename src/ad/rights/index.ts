/**
 * The rights check behind `sspr agent doctor`, in the order it runs: gather.ts reads what AD
 * says as the service account, evaluate.ts decides each right from the ACEs, report.ts turns
 * that into the verdict and the delegation commands, check.ts ties them together.
 */
export { checkRights, type CheckRightsDeps } from './check.js';
export { effectiveOn, evaluateRight, inheritedBy, type PlacedAce, type RightQuery } from './evaluate.js';
export {
  delegationFor,
  shellQuote,
  type ControlsReport,
  type NeededRight,
  type NotedRight,
  type RightHeld,
  type RightsReport,
  type RightsVerdict,
  type TlsReport,
} from './report.js';
export { AD_GUID } from './schema-guids.js';
