"""Long-term memory: a personality remembers each user across conversations and channels.

- `settings`: the personality's ltm settings with the app's defaults, and which embedding model
  each provider uses (configurable by environment variable);
- `store`: the SQL (the recall subquery /chat's state statement carries, vector recall, the
  write, and what the /memory and /privacy commands read and delete);
- `recall`: one turn's memory step for /chat: embed the message with the user's key, recall,
  merge, the prompt block, and the write that joins the turn's commit;
- the commands live in tzurot.commands.memory, tzurot.commands.privacy and
  tzurot.commands.history_clear.

A turn is remembered as its text ("<speaker>: <question>\n<personality>: <answer>"), indexed for
full-text search, and (where the provider offers embeddings) with the embedding of the user's
message, the same vector the turn's recall searched with, so memory costs one embedding call per
turn and nothing after the reply. See docs/schema.md ("Memories") for why recall scans one
user's rows exactly rather than through the HNSW index.
"""
