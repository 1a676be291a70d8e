"""Contracts shared by the runners, the components and the module files.

A leaf package: it imports nothing from this project, so every other
package may depend on it and it depends on none of them.
"""
