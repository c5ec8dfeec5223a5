"""Editor: what newsroom staff do to stories and feeds, and what they see.

Owns editorial actions on stories (republish, correct, kill, embargo), feed actions
(publish now, rebuild), quarantine replay checks, jobs, the audit log, editor accounts
and the views the editor page and API show. It may import every stage before it.
"""
