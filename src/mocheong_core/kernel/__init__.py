"""The shared kernel every context uses: ids, the clock, the unit of work, the rate limiter,
money and cursor pages. One module each; import from the module, not from this package."""
