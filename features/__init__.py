"""Pure pipeline steps from monitoring observations to region profiles (validate, harmonise, derive,
suppress, standardise, profile). Depends on ``ml`` only."""
