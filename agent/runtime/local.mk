# agent/runtime: fragment (filled by its module)
