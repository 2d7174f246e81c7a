# agent/init: fragment (filled by its module)
