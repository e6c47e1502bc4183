"""Advocates change Harbor safely: edit rules and reply texts, preview, publish, restore.

- `content`: what a version holds (rule files and reply texts changed over the shipped
  ones), its diff, and the YAML folder of `harbor rules export` / `import`.
- `gate`: the safety gate every publish passes (locked-set recall of exit, emergency
  and self_harm, every transcript, the SMS rules for texts), and the preview it shares.
- `versions`: publish and restore, each a numbered version in the audit log.
- `live`: every worker process picks up the live version within seconds.
"""
