export const SKIFF_VERSION = '0.1.0';
export const SPEC_VERSION = '1.3.0';
