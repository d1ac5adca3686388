"""The demo notebooks shipped with the package: ``neurolake lab`` and Binder open the tour."""
