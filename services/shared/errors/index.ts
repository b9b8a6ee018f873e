export * from './categories';
export * from './registry';
export * from './render-error';
export * from './classes';
export * from './classify';
