"""Cross-chain transport for a hub-and-spoke deal over Hyperlane.

* :mod:`~trancheflow.bridge.artifacts` reads Hyperlane's published bytecode
  from the npm package ``@hyperlane-xyz/core``;
* :mod:`~trancheflow.bridge.message` encodes messages, the incremental merkle
  tree, checkpoint digests and message-id multisig ISM metadata;
* :mod:`~trancheflow.bridge.chain` deploys Mailbox, merkle-tree hook and a
  static message-id multisig ISM on an embedded (titanoboa) chain;
* :mod:`~trancheflow.bridge.validator` and :mod:`~trancheflow.bridge.relayer`
  are the off-chain agents (Python stand-ins for Hyperlane's Rust binaries),
  restartable from SQLite state.
"""
