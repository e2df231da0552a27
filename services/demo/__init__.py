"""Demo data: records that reproduce a published quarterly report, and larger uncalibrated sets."""
