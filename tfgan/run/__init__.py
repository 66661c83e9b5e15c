"""The family-agnostic run machinery: run config, the family contract, checkpoints, callbacks, exports."""
