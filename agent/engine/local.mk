# agent/engine: fragment (filled by its module)
