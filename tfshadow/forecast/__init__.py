"""The predictive engine: forecasts, deviations, attribution, recommendations."""
