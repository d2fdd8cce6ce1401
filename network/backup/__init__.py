"""Backups that restore: `flask backup PATH` and `flask restore PATH` (commands only, no pages).

A backup is a directory: the database copy (SQLite: ``database.sqlite3``, written by SQLite's
online backup API while the app keeps writing; PostgreSQL: ``database.dump``, ``pg_dump
--format=custom``) and ``manifest.json`` (when, which database, the migration revision, the rows
per table, the copy's SHA-256, the journal key ids). The journal key is never part of it.
"""
