"""Screens: help, job details, and other full-screen views."""
