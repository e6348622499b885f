#!/bin/sh
echo building t/env_name
