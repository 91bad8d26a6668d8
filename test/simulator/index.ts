export { defaultSettings } from './settings';
export type { ProfilePlan, ProfilePlanInput, SimulatorSettings, TrainingOutcome } from './settings';
export type { FaultKind, FaultSpec, LoggedRequest } from './log';
export { FaultInjector, RequestLog } from './log';
export type { SimJob, SimProfile, StartOptions } from './server';
export { API_PREFIX, PhotaSimulator, startSimulator } from './server';
export { makeJpeg, makePng, sniffImage } from './images';
