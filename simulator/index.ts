export { defaultSettings } from './settings';
export type { ProfilePlan, ProfilePlanInput, SimulatorSettings, TrainingOutcome } from './settings';
export type { FaultKind, FaultSpec, LoggedRequest } from './log';
export { FAULT_KINDS, FaultInjector, RequestLog } from './log';
export type { OtherHostRequest, SimJob, SimProfile, StartOptions } from './server';
export { API_PREFIX, OtherHost, PhotaSimulator, startSimulator } from './server';
export { makeJpeg, makePng, sniffImage } from './images';
