"""The digest's written summary by a language model: what is sent (`material`), how it is
asked (`prompt`), the one call to an OpenAI-compatible endpoint (`client`), and the checks
every sentence must pass before a manager sees it (`figures`, `checks`)."""
