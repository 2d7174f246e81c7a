# agent: fragment (filled by its module)
